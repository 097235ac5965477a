@issue:seed-2.3
Feature: Live fibre metadata
  Focus Server describes the fibre it is currently receiving: the pulse repetition rate, the spacing
  and number of channels, where the fibre starts and how long it is, and the interrogator's software
  and data format. Clients size their views from these values, so each must be present with the
  right type. While the interrogator has no fibre, the metadata says it is waiting for fibre; that
  is a state of the environment, not a product failure.

  @critical @rule:metadata.fields
  Scenario Outline: The live metadata reports "<field>" as <kind>
    Given Focus Server is receiving fibre data
    When I read the live metadata
    Then the live metadata reports "<field>" as <kind>

    Examples:
      | field                 | kind               |
      | prr                   | a positive number  |
      | dx                    | a positive number  |
      | fiber_start_meters    | a number           |
      | fiber_length_meters   | a positive number  |
      | number_of_channels    | a positive integer |
      | num_samples_per_trace | a positive integer |
      | sw_version            | text               |
      | fiber_description     | text               |
      | dtype                 | text               |

  @critical @rule:metadata.channel-count @requires_cluster
  Scenario: The channel count of the live metadata matches the channel range
    Given Focus Server is receiving fibre data
    When I read the live metadata
    Then its whole number of channels equals the highest channel Focus Server offers

  @minor @rule:metadata.no-dy
  Scenario: The live metadata describes the fibre along its length only, without "dy"
    Given Focus Server is receiving fibre data
    When I read the live metadata
    Then the live metadata has no "dy" field
