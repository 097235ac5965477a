@issue:seed-1.2
Feature: Channels and streams of a configuration response, for every view
  The configuration response tells the client how many channels a row carries, how many streams the
  job sends and which stream each channel arrives on, and how far apart its rows are. A multichannel
  view splits its range into at most three contiguous groups of equal size (the last may be shorter),
  one stream each; a singlechannel view carries its one channel on stream 0; a waterfall view carries
  every channel on stream 0 (our reading of the contract, not yet confirmed). The examples sit at the
  edges of the grouping rule: one channel, fewer channels than streams, a range that does not divide
  by three, and the widest range allowed.

  Background:
    Given Focus Server is receiving fibre data

  @critical @requires_cluster
  Scenario Outline: A <view> view of channels <first> to <last> carries <count> channels per row on the streams its view requires
    When I configure a <view> view of channels <first> to <last>
    Then the configuration is accepted
    And the job's view type is <view>
    And the job carries <count> channels per row
    And the job's channels are mapped to streams as its view's grouping rule requires

    @rule:response.channels-and-streams
    Examples: Multichannel ranges at the edges of the grouping rule
      | view         | first | last | count |
      | multichannel | 1     | 1    | 1     |
      | multichannel | 1     | 3    | 3     |
      | multichannel | 1     | 4    | 4     |
      | multichannel | 11    | 17   | 7     |
      | multichannel | 1     | 2222 | 2222  |

    @rule:configure.singlechannel
    Examples: A singlechannel view at either end of the fibre
      | view          | first | last | count |
      | singlechannel | 1     | 1    | 1     |
      | singlechannel | 2000  | 2000 | 1     |

    @rule:response.waterfall-shape
    Examples: Waterfall ranges of one, a few and the most channels
      | view      | first | last | count |
      | waterfall | 1     | 1    | 1     |
      | waterfall | 1     | 4    | 4     |
      | waterfall | 1     | 2222 | 2222  |

  @critical @requires_cluster
  Scenario Outline: Rows of a <view> view showing <duration> s on <height> rows follow each other at duration / height
    When I configure a <view> view showing <duration> s on a canvas <height> rows high
    Then the configuration is accepted
    And the job's time between rows is the time-axis duration divided by the canvas height

    @rule:response.lines-dt
    Examples:
      | view          | duration | height |
      | multichannel  | 1        | 1      |
      | multichannel  | 7        | 3      |
      | singlechannel | 10       | 1000   |
      | singlechannel | 1        | 1      |

  @minor @rule:response.waterfall-shape @requires_cluster
  Scenario Outline: Waterfall rows on a canvas <height> rows high follow each other at one pulse period
    When I configure a waterfall view on a canvas <height> rows high
    Then the configuration is accepted
    And the job's time between rows is one period of the live pulse rate

    Examples:
      | height |
      | 1      |
      | 1000   |

  @normal @rule:response.status @requires_cluster
  Scenario Outline: An accepted <view> configuration reports success
    When I configure a <view> view
    Then the configuration is accepted
    And the response reports the status "success"

    Examples:
      | view          |
      | singlechannel |
      | waterfall     |
