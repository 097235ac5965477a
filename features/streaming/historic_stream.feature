Feature: The stream of a historic job
  A historic job replays a recorded period: its stream carries the rows of that window and ends once
  the window has been played. How fast a window is played is an open question.

  Background:
    Given Focus Server is receiving fibre data

  @normal @rule:stream.historic-ends
  Scenario: The stream of a historic job ends after its window
    Given a historic multichannel job of channels 1 to 50 over 3 seconds of a recorded period is running
    When I watch the job's first stream
    Then the stream ends by itself once the window has been played

  @normal @rule:stream.historic-rows-in-window
  Scenario: A historic job streams rows of its window only
    Given a historic multichannel job of channels 1 to 50 over 3 seconds of a recorded period is running
    When I watch the job's first stream for a few rows
    Then every row it sent is timestamped inside the window
