@defect:alert_delete_without_permission
Feature: Deleting alerts
  Alerts stay listed in the Prisma Web App until a user who holds the delete permission removes
  them. A signed-in user without that permission may read alerts but not delete them: the Web App
  refuses the request as forbidden and the alerts stay listed. Without a valid access token (none,
  a malformed one, or that of a session that has signed out) the request is refused as
  unauthenticated.

  @critical @rule:alerts.deletion @requires_web_app
  Scenario: A user with delete permission deletes an alert
    Given a valid alert has been pushed
    When a user with delete permission asks to delete that alert
    Then the alert is deleted and no longer listed

  @critical @rule:alerts.delete-permission @requires_web_app
  Scenario: A user without delete permission cannot delete an alert
    Given a valid alert has been pushed
    When a user without delete permission asks to delete that alert
    Then the deletion is refused as forbidden
    And the alert is still listed

  @critical @requires_web_app
  Scenario Outline: Deleting an alert <credential> is refused and the alert stays listed
    Given a valid alert has been pushed
    And I use the Prisma Web App <credential>
    When I ask to delete that alert
    Then the deletion is refused as unauthenticated
    And the alert is still listed

    @rule:alerts.authentication
    Examples: No valid access token
      | credential                    |
      | without signing in            |
      | with a malformed access token |

    @rule:alerts.session-revoked
    Examples: The token of a session that has ended
      | credential                                     |
      | with the access token of a signed-out session |

  @normal @rule:alerts.delete-body @requires_web_app
  Scenario Outline: A deletion whose alert ids are <ids> is rejected
    When I ask to delete the alerts <ids>
    Then the deletion is rejected, naming "alertIds"

    Examples:
      | ids  |
      | "a1" |
      | [5]  |
