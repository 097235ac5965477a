@issue:seed-1.2 @requires_mongodb
Feature: Which recordings a historic view plays
  A historic view replays the recordings that share time with its window, the same recordings Focus
  Server lists for that window. A window that shares time with a recording starts a job, however the
  two overlap. Whether a window that only touches a recording's start or end shares time with it,
  and whether a deleted recording still counts, is our reading of the contract, not yet confirmed.

  Background:
    Given Focus Server is receiving fibre data

  @critical @rule:configure.historic-view @requires_cluster
  Scenario Outline: A historic view over a window that <relation> a recording starts a job
    Given a time window that <relation> a finished recording
    When I configure a multichannel view of channels 1 to 50 over that window
    Then the configuration is accepted

    Examples: The window and the recording share time
      | relation                      |
      | starts before and ends inside |
      | starts inside and ends after  |
      | contains                      |
      | lies inside                   |

  @normal @requires_cluster @requires_rabbitmq
  Scenario Outline: A historic view over a window that <relation> <recording> is refused as not found
    Given a time window that <relation> <recording>
    When I configure a multichannel view of channels 1 to 50 over that window
    Then the configuration is refused because no recording was found
    And no job resources were created

    @rule:recordings.touching-edges
    Examples: The window only touches the recording
      | relation             | recording            |
      | ends at the start of | a finished recording |
      | starts at the end of | a finished recording |

    @rule:recordings.deleted-excluded
    Examples: The only recording is deleted
      | relation    | recording           |
      | lies inside | a deleted recording |
