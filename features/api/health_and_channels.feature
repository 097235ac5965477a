Feature: Health probe and channel range
  Load balancers and the suite itself ask Focus Server whether it is alive through its
  acknowledgement endpoint, which only answers reads. Clients size their channel pickers from the
  channel range Focus Server offers, which must start at channel 1 and end at the fibre's channel
  count as reported in the live metadata.

  @blocker @rule:api.health-probe
  Scenario: The health probe acknowledges
    When I probe Focus Server's health
    Then Focus Server acknowledges with an empty answer

  @minor @rule:api.health-probe
  Scenario Outline: The health probe refuses a <method> request
    When I send a <method> request to the health probe
    Then Focus Server refuses the method as not allowed

    Examples:
      | method |
      | POST   |
      | DELETE |

  @critical @rule:api.channel-range
  Scenario: The channel range runs from channel 1 to the live channel count
    Given Focus Server is receiving fibre data
    When I ask Focus Server which channels it offers
    Then the lowest channel offered is 1
    And the highest channel offered equals the channel count of the live metadata
