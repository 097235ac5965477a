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

  @critical @rule:recordings.time-range
  Scenario Outline: A time window that <relation> a recording lists that recording
    Given a time window that <relation> a finished recording
    When I ask for the recordings in that window
    Then the answer lists that recording with its start and end time

    Examples: The window and the recording share time
      | relation                      |
      | starts before and ends inside |
      | starts inside and ends after  |
      | contains                      |
      | lies inside                   |

  @normal @rule:recordings.touching-edges
  Scenario Outline: A time window that <relation> a recording does not list that recording
    Given a time window that <relation> a finished recording
    When I ask for the recordings in that window
    Then the answer does not list that recording

    Examples: The window only touches the recording
      | relation             |
      | ends at the start of |
      | starts at the end of |

  @normal @rule:recordings.deleted-excluded
  Scenario: A time window inside a deleted recording does not list that recording
    Given a time window that lies inside a deleted recording
    When I ask for the recordings in that window
    Then the answer does not list that recording

  @normal @rule:recordings.ongoing
  Scenario: A time window inside a recording still in progress lists it as ongoing
    Given a time window that lies inside a recording still in progress
    When I ask for the recordings in that window
    Then the answer lists that recording as ongoing

  @normal @rule:recordings.query-validation
  Scenario: A window at the very start of epoch time holds no recordings
    Given a time window over the first minute of epoch time
    When I ask for the recordings in that window
    Then the answer is an empty list

  @normal
  Scenario Outline: A recordings query with <problem> is refused
    When I ask for the recordings with a query that has <problem>
    Then the query is refused as invalid, naming "<field>"

    @rule:recordings.query-validation
    Examples:
      | problem                             | field      |
      | an end time equal to its start time | end_time   |
      | an end time before its start time   | end_time   |
      | no start time                       | start_time |
      | no end time                         | end_time   |
      | an end time given as a fraction     | end_time   |

    @rule:configure.strict-types
    Examples: A time sent as text or as true
      | problem                             | field      |
      | a start time given as text          | start_time |
      | an end time given as true           | end_time   |

    @rule:recordings.epoch-times
    Examples: A time before the epoch or in milliseconds
      | problem                             | field      |
      | a start time before 1970            | start_time |
      | times given in milliseconds         | start_time |
