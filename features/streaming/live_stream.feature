Feature: The data a live job streams
  A configured job streams its spectrogram over gRPC at the stream address of its configuration
  response. A client asks for one of the job's streams and receives frames: each frame names the
  channels it carries and its shape, gives the index and the time of every row, and holds the rows'
  float32 values. The product's own client accepts a stream once three frames with a non-zero shape
  have arrived. What the shape's dimensions count, which channels each stream carries and how fast
  rows come are still open questions.

  Background:
    Given Focus Server is receiving fibre data

  @critical @rule:stream.frames-while-watched
  Scenario Outline: A watched <view> job streams frames
    Given a live <view> job of channels <first> to <last> is running
    When I watch the job's first stream
    Then at least 3 frames with a non-zero shape arrive within the job start timeout and a few rows

    Examples:
      | view          | first | last |
      | multichannel  | 1     | 50   |
      | singlechannel | 7     | 7    |
      | waterfall     | 1     | 50   |

  @critical @rule:stream.channels-in-range
  Scenario Outline: Every frame of a <view> job stays inside its channel range
    Given a live <view> job of channels <first> to <last> is running
    When I watch every stream of the job for a few rows
    Then every frame carries only channels from <first> to <last>

    Examples:
      | view          | first | last |
      | multichannel  | 101   | 150  |
      | singlechannel | 7     | 7    |
      | waterfall     | 201   | 260  |

  @normal @rule:stream.rows-in-order
  Scenario: Rows come in order
    Given a live multichannel job of channels 1 to 50 is running
    When I watch every stream of the job for a few rows
    Then the row indices rise from row to row and the timestamps move on from frame to frame

  @normal @rule:stream.payload-matches-shape
  Scenario Outline: Every frame of a <view> job holds the values its shape states
    Given a live <view> job of channels <first> to <last> is running
    When I watch every stream of the job for a few rows
    Then every frame holds as many float32 values as its shape states

    Examples:
      | view          | first | last |
      | multichannel  | 1     | 50   |
      | singlechannel | 7     | 7    |
      | waterfall     | 1     | 50   |

  @normal @rule:response.waterfall-shape
  Scenario: A waterfall row holds one value for each of its channels
    Given a live waterfall job of channels 1 to 50 is running
    When I watch every stream of the job for a few rows
    Then a row of the job's streams holds one value for each channel it carries

  @normal @rule:stream.channel-groups
  Scenario: Each stream carries the channel group the job maps to it
    Given a live multichannel job of channels 1 to 8 is running
    When I watch every stream of the job for a few rows
    Then each stream carries exactly the channels the job's channel mapping gives it

  @minor @rule:stream.row-cadence
  Scenario: Rows are one time-between-rows apart
    Given a live multichannel job of channels 1 to 50 showing 10 s on a canvas 200 rows high is running
    When I watch the job's first stream for 20 rows
    Then consecutive rows are the job's time between rows apart

  @critical @rule:stream.roi-channel-dimension
  Scenario: Two regions of interest of one view stream rows that differ only in their channels
    Given a live multichannel job of channels 1 to 30 is running
    And a live multichannel job of channels 101 to 190 is running
    When I watch every stream of both jobs for a few rows
    Then the two jobs' rows differ only in how many channels they carry
