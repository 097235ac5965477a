@issue:seed-1.2
Feature: Multichannel and singlechannel views
  A multichannel view shows a spectrogram for every channel of a range; Focus Server splits the range
  into at most three contiguous groups of channels, each sent on its own stream. A singlechannel view
  shows the spectrogram of exactly one channel on one stream, so its range must start and end on the
  same channel. The configuration response tells the client how many channels a row carries and which
  stream each channel arrives on.

  Background:
    Given Focus Server is receiving fibre data

  @critical @rule:response.channels-and-streams @requires_cluster
  Scenario Outline: A multichannel view of <count> channels is split into contiguous streams
    When I configure a multichannel view of channels <first> to <last>
    Then the configuration is accepted
    And the job's view type is multichannel
    And the job carries <count> channels per row
    And the job's channels are mapped to streams as the multichannel grouping rule requires

    Examples:
      | first | last | count |
      | 1     | 8    | 8     |
      | 1     | 2    | 2     |
      | 100   | 199  | 100   |

  @critical @rule:configure.singlechannel @requires_cluster
  Scenario: A singlechannel view carries its one channel on a single stream
    When I configure a singlechannel view of channel 7
    Then the configuration is accepted
    And the job's view type is singlechannel
    And the job carries 1 channel per row
    And channel 7 is the job's only channel, on stream 0

  @critical @rule:configure.singlechannel @requires_cluster
  Scenario: A singlechannel request over several channels is rejected
    When I send a singlechannel configuration of channels 5 to 9
    Then the configuration is rejected as invalid, naming "channels"
    And no job resources were created

  @minor @rule:response.waterfall-shape @requires_cluster
  Scenario: A waterfall view carries every channel on a single stream
    When I configure a waterfall view of channels 1 to 50
    Then the configuration is accepted
    And the job carries 50 channels per row
    And every channel of the job is mapped to stream 0
