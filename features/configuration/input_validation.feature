@issue:seed-1.2
Feature: Validation of spectrogram configuration requests
  A spectrogram request names its view type, a channel range, the canvas height, the time-axis
  duration, an NFFT selection and a frequency band. Focus Server refuses a request that breaks any
  rule of the configuration contract, says which field is wrong, and starts nothing for it: no job,
  no stream, no service and no queue. The product's documents disagree on whether the refusal is a
  400 or a 422, so either is a refusal. Each example below changes one field of an otherwise valid
  request of its view, at the limit of a rule or just past it, or sends a field missing, empty, null
  or of the wrong type. (The singlechannel range rule is in "Multichannel and singlechannel views",
  the time-window rules in "Live and historic views", the waterfall-only rules in "Waterfall
  configuration rules".)

  Background:
    Given Focus Server is receiving fibre data

  @critical @requires_cluster @requires_rabbitmq
  Scenario Outline: A <view> request with <problem> is rejected
    When I send a <view> configuration request that has <problem>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    @rule:configure.required-fields
    Examples: A required field is missing, null or empty
      | view          | problem                        | field                   |
      | multichannel  | no view type                   | view_type               |
      | multichannel  | a view type of null            | view_type               |
      | multichannel  | no channel range               | channels                |
      | multichannel  | a channel range of null        | channels                |
      | multichannel  | an empty channel range         | channels                |
      | multichannel  | no first channel               | channels                |
      | multichannel  | no last channel                | channels                |
      | multichannel  | no canvas                      | displayInfo             |
      | multichannel  | an empty canvas                | height                  |
      | multichannel  | no canvas height               | height                  |
      | multichannel  | a canvas height of null        | height                  |
      | multichannel  | no time-axis duration          | displayTimeAxisDuration |
      | multichannel  | a time-axis duration of null   | displayTimeAxisDuration |
      | multichannel  | no frequency range             | frequencyRange          |
      | multichannel  | an empty frequency range       | frequencyRange          |
      | multichannel  | no lowest frequency            | frequencyRange          |
      | multichannel  | a highest frequency of null    | frequencyRange          |
      | singlechannel | no channel range               | channels                |
      | singlechannel | no canvas height               | height                  |
      | singlechannel | no time-axis duration          | displayTimeAxisDuration |
      | singlechannel | no frequency range             | frequencyRange          |
      | waterfall     | no channel range               | channels                |
      | waterfall     | an empty channel range         | channels                |
      | waterfall     | no canvas height               | height                  |

    @rule:configure.view-type
    Examples: The view type is unknown
      | view          | problem                        | field                   |
      | multichannel  | the view type "3"              | view_type               |
      | multichannel  | the view type "-1"             | view_type               |
      | multichannel  | an empty view type             | view_type               |
      | multichannel  | the view type "multichannel"   | view_type               |
      | multichannel  | a view type of 3               | view_type               |
      | multichannel  | a view type of 0.5             | view_type               |

    @rule:configure.channel-range
    Examples: The channel range breaks its limits
      | view          | problem                                           | field    |
      | multichannel  | a channel range starting at channel 0             | channels |
      | multichannel  | a channel range starting at channel -1            | channels |
      | multichannel  | a channel range that ends before it starts        | channels |
      | multichannel  | a channel range from 50 to 49                     | channels |
      | multichannel  | a channel range ending beyond the highest channel | channels |
      | multichannel  | a channel range of 2223 channels                  | channels |
      | singlechannel | the single channel 0                              | channels |
      | singlechannel | the single channel beyond the highest channel     | channels |
      | waterfall     | a channel range starting at channel 0             | channels |
      | waterfall     | a channel range from 50 to 49                     | channels |
      | waterfall     | a channel range ending beyond the highest channel | channels |
      | waterfall     | a channel range of 2223 channels                  | channels |

    @rule:configure.height
    Examples: The canvas height is not positive
      | view          | problem                        | field                   |
      | multichannel  | a canvas height of 0           | height                  |
      | multichannel  | a canvas height of -1          | height                  |
      | multichannel  | a canvas height of -100        | height                  |
      | singlechannel | a canvas height of 0           | height                  |
      | waterfall     | a canvas height of 0           | height                  |
      | waterfall     | a canvas height of -1          | height                  |

    @rule:configure.duration
    Examples: The time-axis duration is not positive
      | view          | problem                        | field                   |
      | multichannel  | a time-axis duration of 0 s    | displayTimeAxisDuration |
      | multichannel  | a time-axis duration of -1 s   | displayTimeAxisDuration |
      | singlechannel | a time-axis duration of 0 s    | displayTimeAxisDuration |

    @rule:configure.frequency-range
    Examples: The frequency band breaks its limits
      | view          | problem                                                         | field          |
      | multichannel  | a frequency range from -10 to 500 Hz                            | frequencyRange |
      | multichannel  | a frequency range from -1 to 500 Hz                             | frequencyRange |
      | multichannel  | a frequency range from 0 to 1001 Hz                             | frequencyRange |
      | multichannel  | a frequency range up to 1 Hz above the highest allowed frequency | frequencyRange |
      | multichannel  | a frequency range from 300 to 300 Hz                            | frequencyRange |
      | multichannel  | a frequency range from 500 to 300 Hz                            | frequencyRange |
      | singlechannel | a frequency range from -1 to 500 Hz                             | frequencyRange |
      | singlechannel | a frequency range up to 1 Hz above the highest allowed frequency | frequencyRange |
      | singlechannel | a frequency range from 300 to 300 Hz                            | frequencyRange |

    @rule:configure.nfft
    Examples: The NFFT selection is not a power of two, or below every documented minimum
      | view          | problem                        | field                   |
      | multichannel  | an NFFT selection of 1000      | nfftSelection           |
      | multichannel  | an NFFT selection of 64        | nfftSelection           |
      | multichannel  | an NFFT selection of 0         | nfftSelection           |
      | multichannel  | an NFFT selection of 255       | nfftSelection           |
      | singlechannel | an NFFT selection of 100       | nfftSelection           |
      | singlechannel | an NFFT selection of 64        | nfftSelection           |
      | singlechannel | an NFFT selection of 131072    | nfftSelection           |

    @rule:configure.nfft-edges
    Examples: The NFFT selection is above the multichannel maximum
      | view          | problem                        | field                   |
      | multichannel  | an NFFT selection of 4096      | nfftSelection           |

    @rule:configure.nfft-required
    Examples: The NFFT selection is missing
      | view          | problem                        | field                   |
      | multichannel  | no NFFT selection              | nfftSelection           |
      | singlechannel | an NFFT selection of null      | nfftSelection           |

    @rule:configure.field-types
    Examples: A whole number is a fraction, or a range or the canvas is not an object
      | view          | problem                                     | field                   |
      | multichannel  | a first channel of 1.5                      | channels                |
      | multichannel  | a last channel of 50.5                      | channels                |
      | multichannel  | a channel range of [1, 50]                  | channels                |
      | multichannel  | a canvas of 768                             | displayInfo             |
      | multichannel  | a canvas height of 768.5                    | height                  |
      | multichannel  | a time-axis duration of 30.5                | displayTimeAxisDuration |
      | multichannel  | an NFFT selection of 256.5                  | nfftSelection           |
      | multichannel  | a lowest frequency of 0.5                   | frequencyRange          |
      | multichannel  | a highest frequency of 500.5                | frequencyRange          |
      | multichannel  | a frequency range of [0, 500]               | frequencyRange          |
      | multichannel  | a window whose start time is given as a fraction | start_time         |
      | multichannel  | a window whose end time is given as a fraction   | end_time           |
      | singlechannel | a canvas height of 768.5                    | height                  |
      | singlechannel | an NFFT selection of 256.5                  | nfftSelection           |
      | waterfall     | a first channel of 1.5                      | channels                |
      | waterfall     | a canvas height of 768.5                    | height                  |

    @rule:configure.strict-types
    Examples: A number is sent as text or as true
      | view          | problem                                     | field                   |
      | multichannel  | a view type of true                         | view_type               |
      | multichannel  | a first channel of "1"                      | channels                |
      | multichannel  | a canvas height of "768"                    | height                  |
      | multichannel  | a canvas height of true                     | height                  |
      | multichannel  | a time-axis duration of "30"                | displayTimeAxisDuration |
      | multichannel  | an NFFT selection of "256"                  | nfftSelection           |
      | multichannel  | an NFFT selection of true                   | nfftSelection           |
      | multichannel  | a highest frequency of "500"                | frequencyRange          |
      | multichannel  | a window whose start time is given as text  | start_time              |
      | multichannel  | a window whose end time is given as true    | end_time                |
      | singlechannel | a time-axis duration of true                | displayTimeAxisDuration |
      | waterfall     | a last channel of "50"                      | channels                |

  @normal @requires_cluster
  Scenario Outline: A <view> request with <edge case> is accepted
    When I configure a <view> view that has <edge case>
    Then the configuration is accepted

    @rule:configure.accepts-documented-edges
    Examples: Values at the documented limits
      | view          | edge case                                             |
      | multichannel  | a channel range of 2222 channels                      |
      | multichannel  | a channel range ending at the highest channel         |
      | multichannel  | a channel range from 50 to 50                         |
      | multichannel  | a canvas height of 1                                  |
      | multichannel  | a time-axis duration of 1 s                           |
      | multichannel  | an NFFT selection of 2048                             |
      | multichannel  | a frequency range up to the highest allowed frequency |
      | multichannel  | a frequency range from 499 to 500 Hz                  |
      | multichannel  | the view type given as a number                       |
      | singlechannel | the single channel 1                                  |
      | singlechannel | the view type given as a number                       |
      | singlechannel | the single channel at the highest channel             |
      | singlechannel | a canvas height of 1                                  |
      | singlechannel | a time-axis duration of 1 s                           |
      | singlechannel | an NFFT selection of 128                              |
      | singlechannel | an NFFT selection of 65536                            |
      | singlechannel | a frequency range up to the highest allowed frequency |
      | waterfall     | a channel range of 2222 channels                      |
      | waterfall     | a channel range ending at the highest channel         |
      | waterfall     | a canvas height of 1                                  |
      | waterfall     | no NFFT selection                                     |
      | waterfall     | the view type given as a number                       |

    @rule:configure.nfft-edges
    Examples: The smallest NFFT selection of the later test plan
      | view          | edge case                                             |
      | multichannel  | an NFFT selection of 128                              |
