@issue:seed-1.2
Feature: Live and historic views
  A view without a time window follows the fibre live. A view with a start and an end time replays a
  recorded period: the window must lie in the past, end after it starts, and Focus Server needs a
  recording inside it. A request that sets only one of the two times is neither live nor historic and
  is refused. Whatever is refused starts nothing.

  Background:
    Given Focus Server is receiving fibre data

  @blocker @rule:configure.live-view @requires_cluster
  Scenario: A live view starts a job
    When I configure a multichannel view of channels 1 to 50 that follows the fibre live
    Then the configuration is accepted
    And the job's metadata becomes available

  @critical @rule:configure.historic-view @requires_cluster
  Scenario: A historic view over a recorded period starts a job
    Given a period that Focus Server has a recording for
    When I configure a multichannel view of channels 1 to 50 over that period
    Then the configuration is accepted
    And the job's metadata becomes available

  @critical @rule:configure.historic-view @requires_cluster
  Scenario Outline: A historic view over <window> of a recording starts a job
    When I configure a multichannel view of channels 1 to 50 over <window> of a recording
    Then the configuration is accepted

    Examples: The shortest window, and the longest a 30 s time axis may show
      | window                            |
      | one second                        |
      | exactly 30 time-axis durations    |

  @critical @rule:configure.historic-view @requires_cluster @requires_rabbitmq
  Scenario: A historic view over a period without recordings is refused as not found
    Given a period that Focus Server has no recording for
    When I configure a multichannel view of channels 1 to 50 over that period
    Then the configuration is refused because no recording was found
    And no job resources were created

  @normal @rule:configure.epoch-times @requires_cluster @requires_rabbitmq
  Scenario: A historic view of the first minute of 1970 is refused as not found, not as invalid
    Given the first minute of epoch time, which Focus Server has no recording for
    When I configure a multichannel view of channels 1 to 50 over that period
    Then the configuration is refused because no recording was found
    And no job resources were created

  @critical @requires_cluster @requires_rabbitmq
  Scenario Outline: A request with <time window> is rejected
    When I send a multichannel configuration request that has <time window>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    @rule:configure.time-window
    Examples: The window is half open, reversed or in the future
      | time window                                      | field      |
      | a start time but no end time                     | end_time   |
      | an end time but no start time                    | start_time |
      | an end time before its start time                | end_time   |
      | a window that ends when it starts                | end_time   |
      | a window that ends in the future                 | end_time   |
      | a window that starts in the future               | start_time |

    @rule:configure.window-limit
    Examples: The window is longer than the view can show
      | time window                                      | field      |
      | a window longer than 30 time-axis durations      | end_time   |

    @rule:configure.epoch-times
    Examples: The window starts before the epoch
      | time window                                      | field      |
      | a window that starts before 1970                 | start_time |
