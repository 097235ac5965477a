@area:infrastructure @issue:seed-1.3
Feature: Environment configuration
  The same features run against the local sandbox, staging and the production-like Kefar Saba site.
  Each environment is declared once in the environment configuration, and every declaration must
  load. The local sandbox is always declared, and the production-like site never allows scenarios
  that break or delete things.

  @critical
  Scenario: Every declared environment loads
    When I load every environment the configuration declares
    Then each environment loads with a Focus Server address and its job lifecycle timings

  @critical
  Scenario: The local sandbox environment is declared
    When I list the environments the configuration declares
    Then "local" is among them

  @blocker
  Scenario: The production-like site forbids destructive scenarios
    When I load the "kefar_saba" environment
    Then it forbids destructive scenarios
