@issue:29
Feature: Alert push validation
  Operators push alerts to the Prisma Web App, which publishes one alert report per alert id for the
  rest of the product. An alert names its class (single channel or spatial distribution), its
  severity, its distance along the fibre and its alert ids. The Web App accepts a well-formed alert
  from a signed-in user, rejects anything else naming the offending field, and never publishes a
  rejected alert. (Whether a refusal publishes anything is watched in the scenarios of one rule
  each; the examples of every field's type and shape check the refusal alone.)

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
      | 1        |
      | 100      |
      | 102      |
      | 105      |
      | 999      |
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

  @critical @requires_web_app @requires_rabbitmq
  Scenario Outline: An alert whose "<field>" is <value> is rejected
    Given I am signed in to the Prisma Web App
    When I push an otherwise valid alert whose "<field>" is <value>
    Then the alert is rejected, naming "<field>"

    @rule:alerts.validation
    Examples: A field is null, a fraction, empty or of the wrong shape
      | field        | value |
      | classId      | null  |
      | classId      | 103.5 |
      | severity     | null  |
      | severity     | 2.5   |
      | dofM         | null  |
      | dofM         | 0.5   |
      | alertsAmount | null  |
      | alertsAmount | 1.5   |
      | alertIds     | null  |
      | alertIds     | []    |
      | alertIds     | [""]  |
      | alertIds     | [5]   |
      | alertIds     | "a1"  |

    @rule:alerts.validation
    Examples: The alert count is not the number of alert ids
      | field        | value |
      | alertsAmount | 0     |
      | alertsAmount | 2     |
      | alertsAmount | -1    |

    @rule:alerts.strict-types
    Examples: A number is sent as text or as true
      | field        | value |
      | classId      | "103" |
      | severity     | true  |
      | dofM         | "0"   |
      | alertsAmount | "1"   |

  @blocker @requires_web_app @requires_rabbitmq
  Scenario Outline: An alert pushed <credential> is refused and not reported
    Given I use the Prisma Web App <credential>
    When I push a valid alert
    Then the push is refused as unauthenticated
    And no alert report is published

    @rule:alerts.authentication
    Examples: No valid access token
      | credential                    |
      | without signing in            |
      | with an empty access token    |
      | with a malformed access token |

    @rule:alerts.session-revoked
    Examples: The token of a session that has ended
      | credential                                     |
      | with the access token of a signed-out session |

  @normal @rule:alerts.unknown-site @requires_web_app
  Scenario: An alert pushed to a site the Web App does not know is refused as not found
    Given I am signed in to the Prisma Web App
    When I push a valid alert to a site the Web App does not know
    Then the push is refused as not found
