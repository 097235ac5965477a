@issue:seed-1.2
Feature: Validation of spectrogram configuration requests
  A spectrogram request names its view type, a channel range, the canvas height, the time-axis
  duration, an NFFT selection and a frequency band. Focus Server refuses a request that breaks any
  rule of the configuration contract, says which field is wrong, and starts nothing for it: no job,
  no stream, no service and no queue. The product's documents disagree on whether the refusal is a
  400 or a 422, so either is a refusal. Each example below changes one field of an otherwise valid
  request. (The singlechannel range rule is in "Multichannel and singlechannel views", the time-window
  rules in "Live and historic views".)

  Background:
    Given Focus Server is receiving fibre data

  @critical @requires_cluster @requires_rabbitmq
  Scenario Outline: A multichannel request with <problem> is rejected
    When I send a multichannel configuration request that has <problem>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    @rule:configure.required-fields
    Examples: A required field is missing
      | problem                                           | field                   |
      | no view type                                      | view_type               |
      | no channel range                                  | channels                |
      | no canvas height                                  | height                  |
      | no time-axis duration                             | displayTimeAxisDuration |
      | no frequency range                                | frequencyRange          |

    @rule:configure.view-type
    Examples: The view type is unknown
      | problem                                           | field                   |
      | the view type "3"                                 | view_type               |

    @rule:configure.channel-range
    Examples: The channel range breaks its limits
      | problem                                           | field                   |
      | a channel range starting at channel 0             | channels                |
      | a channel range that ends before it starts        | channels                |
      | a channel range ending beyond the highest channel | channels                |
      | a channel range of 2223 channels                  | channels                |

    @rule:configure.height
    Examples: The canvas height is not positive
      | problem                                           | field                   |
      | a canvas height of 0                              | height                  |
      | a canvas height of -100                           | height                  |

    @rule:configure.duration
    Examples: The time-axis duration is not positive
      | problem                                           | field                   |
      | a time-axis duration of 0 s                       | displayTimeAxisDuration |

    @rule:configure.frequency-range
    Examples: The frequency band breaks its limits
      | problem                                           | field                   |
      | a frequency range from -10 to 500 Hz              | frequencyRange          |
      | a frequency range from 0 to 1001 Hz               | frequencyRange          |
      | a frequency range from 300 to 300 Hz              | frequencyRange          |

    @rule:configure.nfft
    Examples: The NFFT selection is not a power of two
      | problem                                           | field                   |
      | an NFFT selection of 1000                         | nfftSelection           |

    @rule:configure.nfft-edges
    Examples: The NFFT selection is above the multichannel maximum
      | problem                                           | field                   |
      | an NFFT selection of 4096                         | nfftSelection           |

  @critical @rule:configure.nfft @requires_cluster @requires_rabbitmq
  Scenario Outline: A singlechannel request with <problem> is rejected
    When I send a singlechannel configuration request that has <problem>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    Examples:
      | problem                      | field         |
      | an NFFT selection of 100     | nfftSelection |
      | an NFFT selection of 131072  | nfftSelection |

  @normal @rule:configure.accepts-documented-edges @requires_cluster
  Scenario Outline: A <view> request with <edge case> is accepted
    When I configure a <view> view that has <edge case>
    Then the configuration is accepted

    Examples:
      | view          | edge case                                             |
      | multichannel  | a channel range of 2222 channels                      |
      | multichannel  | an NFFT selection of 2048                             |
      | multichannel  | a frequency range up to the highest allowed frequency |
      | multichannel  | the view type given as a number                       |
      | singlechannel | an NFFT selection of 65536                            |
