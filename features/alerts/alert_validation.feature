@issue:29
Feature: Alert push validation
  Operators push alerts to the Prisma Web App, which publishes one alert report per alert id for the
  rest of the product. An alert names its class (single channel or spatial distribution), its
  severity, its distance along the fibre and its alert ids. The Web App accepts a well-formed alert
  from a signed-in user, rejects anything else naming the offending field, and never publishes a
  rejected alert.

  Background:
    Given alert reports published by the Web App are being watched

  @critical @rule:alerts.valid-push @requires_web_app @requires_rabbitmq
  Scenario Outline: A valid <class> alert is accepted and reported once per alert id
    Given I am signed in to the Prisma Web App
    When I push a <class> alert of severity <severity> at <distance> with <count> alert ids
    Then the alert is accepted
    And exactly one alert report is published for each of its alert ids

    Examples:
      | class                | severity | distance             | count |
      | single-channel       | 1        | the start of fibre   | 1     |
      | spatial-distribution | 3        | the end of the fibre | 2     |

  @critical @rule:alerts.validation @requires_web_app @requires_rabbitmq
  Scenario Outline: An alert of unknown class <class id> is rejected and not reported
    Given I am signed in to the Prisma Web App
    When I push an otherwise valid alert whose "classId" is <class id>
    Then the alert is rejected, naming "classId"
    And no alert report is published

    Examples:
      | class id |
      | 0        |
      | 105      |
      | -1       |

  @critical @rule:alerts.validation @requires_web_app @requires_rabbitmq
  Scenario Outline: An alert of severity <severity> is rejected and not reported
    Given I am signed in to the Prisma Web App
    When I push an otherwise valid alert whose "severity" is <severity>
    Then the alert is rejected, naming "severity"
    And no alert report is published

    Examples:
      | severity |
      | 0        |
      | 4        |
      | -1       |

  @critical @rule:alerts.validation @requires_web_app @requires_rabbitmq
  Scenario Outline: An alert at <distance> is rejected and not reported
    Given I am signed in to the Prisma Web App
    When I push an otherwise valid alert located at <distance>
    Then the alert is rejected, naming "dofM"
    And no alert report is published

    Examples:
      | distance                        |
      | 1 m before the start of fibre   |
      | 1 m beyond the end of the fibre |

  @critical @rule:alerts.validation @requires_web_app @requires_rabbitmq
  Scenario Outline: An alert without its "<field>" is rejected and not reported
    Given I am signed in to the Prisma Web App
    When I push an otherwise valid alert that lacks "<field>"
    Then the alert is rejected, naming "<field>"
    And no alert report is published

    Examples:
      | field        |
      | classId      |
      | severity     |
      | dofM         |
      | alertsAmount |
      | alertIds     |

  @blocker @rule:alerts.authentication @requires_web_app @requires_rabbitmq
  Scenario: An alert pushed without signing in is refused and not reported
    Given I am not signed in to the Prisma Web App
    When I push a valid alert
    Then the push is refused as unauthenticated
    And no alert report is published
