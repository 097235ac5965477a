@defect:alert_delete_without_permission
Feature: Deleting alerts
  Alerts stay listed in the Prisma Web App until a user who holds the delete permission removes
  them. A signed-in user without that permission may read alerts but not delete them: the Web App
  refuses the request as forbidden and the alerts stay listed.

  @critical @rule:alerts.delete-permission @requires_web_app
  Scenario: A user without delete permission cannot delete an alert
    Given a valid alert has been pushed
    When a user without delete permission asks to delete that alert
    Then the deletion is refused as forbidden
    And the alert is still listed
