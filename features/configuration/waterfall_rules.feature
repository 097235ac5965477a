@issue:seed-1.2
Feature: Waterfall configuration rules
  A waterfall view shows raw channel energy over time. It has no frequency axis and no time-axis
  duration, so a waterfall request must not carry them, and its NFFT selection is fixed at 1.
  Focus Server rejects a waterfall request that breaks these rules before it starts anything.

  Background:
    Given Focus Server is receiving fibre data

  @critical @rule:configure.waterfall @requires_cluster
  Scenario: A valid waterfall request is accepted and starts a job
    When I configure a waterfall view of channels 1 to 50
    Then the configuration is accepted
    And the job's view type is waterfall
    And the job's metadata becomes available

  @critical @requires_cluster
  Scenario Outline: A waterfall request with <forbidden content> is rejected
    When I send a waterfall configuration of channels 1 to 50 that also carries <forbidden content>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    @rule:configure.waterfall
    Examples: Fields a waterfall view has no use for, even at their smallest
      | forbidden content                  | field                   |
      | a time-axis duration of 30 s       | displayTimeAxisDuration |
      | a time-axis duration of 1 s        | displayTimeAxisDuration |
      | a frequency range from 0 to 500 Hz | frequencyRange          |
      | a frequency range from 0 to 1 Hz   | frequencyRange          |
      | an NFFT selection of 256           | nfftSelection           |
      | an NFFT selection of 2             | nfftSelection           |
      | an NFFT selection of 0             | nfftSelection           |

    @rule:configure.field-types
    Examples: The NFFT selection of 1 sent as a fraction
      | forbidden content                  | field                   |
      | an NFFT selection of 1.5           | nfftSelection           |

    @rule:configure.strict-types
    Examples: The NFFT selection of 1 sent as text
      | forbidden content                  | field                   |
      | an NFFT selection of "1"           | nfftSelection           |
