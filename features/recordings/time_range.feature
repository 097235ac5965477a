@issue:seed-2.1 @requires_mongodb
Feature: Recordings in a time range
  Before requesting a historic view, a client asks Focus Server which recordings exist in a time
  window. The answer lists every recording that overlaps the window, partly or wholly, ordered by
  start time, and nothing for a window that lies in the future.

  @critical @rule:recordings.time-range
  Scenario: Recordings that overlap the window only partly are listed
    Given a time window that starts in the middle of a recording
    When I ask for the recordings in that window
    Then the answer lists exactly the recordings of the index that overlap the window

  @normal @rule:recordings.time-range
  Scenario: Recordings are listed in order of their start time
    Given a time window that spans several recordings
    When I ask for the recordings in that window
    Then the recordings are listed in order of their start time

  @normal @rule:recordings.time-range
  Scenario: A window in the future holds no recordings
    Given a time window that starts one day from now
    When I ask for the recordings in that window
    Then the answer is an empty list
