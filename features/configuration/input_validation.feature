@area:configuration @issue:seed-1.2
Feature: Validation of spectrogram configuration requests
  A spectrogram request names its view type, a channel range, the canvas height, the time-axis
  duration, an NFFT selection and a frequency band. Focus Server refuses a request that breaks any
  rule of the configuration contract, says which field is wrong, and starts nothing for it: no job,
  no stream, no service and no queue. Each example below changes one field of an otherwise valid
  request. (The singlechannel range rule is in "Multichannel and singlechannel views", the time-window
  rules in "Live and historic views".)

  Background:
    Given Focus Server is receiving fibre data

  @critical @requires_cluster @requires_rabbitmq
  Scenario Outline: A multichannel request with <problem> is rejected
    When I send a multichannel configuration request that has <problem>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    Examples: Missing or unknown content
      | problem                                         | field                   |
      | no view type                                    | view_type               |
      | the view type "3"                               | view_type               |
      | no channel range                                | channels                |
      | no canvas height                                | height                  |
      | no time-axis duration                           | displayTimeAxisDuration |
      | no frequency range                              | frequencyRange          |

    Examples: Values outside their range
      | problem                                         | field                   |
      | a channel range starting at channel 0           | channels                |
      | a channel range that ends before it starts      | channels                |
      | a channel range ending beyond the highest channel | channels              |
      | a time-axis duration of 0 s                     | displayTimeAxisDuration |
      | a frequency range from -10 to 500 Hz            | frequencyRange          |

    @known_bug
    Examples: Values the deployed server is known to accept
      | problem                                         | field                   |
      | a canvas height of 0                            | height                  |
      | a canvas height of -100                         | height                  |
      | a channel range of 2223 channels                | channels                |
      | an NFFT selection of 1000                       | nfftSelection           |
      | an NFFT selection of 4096                       | nfftSelection           |
      | a frequency range from 0 to 1001 Hz             | frequencyRange          |
      | a frequency range from 300 to 300 Hz            | frequencyRange          |

  @critical @known_bug @requires_cluster @requires_rabbitmq
  Scenario Outline: A singlechannel request with <problem> is rejected
    When I send a singlechannel configuration request that has <problem>
    Then the configuration is rejected as invalid, naming "<field>"
    And no job resources were created

    Examples:
      | problem                      | field         |
      | an NFFT selection of 100     | nfftSelection |
      | an NFFT selection of 131072  | nfftSelection |

  @normal @requires_cluster
  Scenario Outline: A <view> request with <edge case> is accepted
    When I configure a <view> view that has <edge case>
    Then the configuration is accepted

    Examples:
      | view          | edge case                              |
      | multichannel  | a channel range of 2222 channels       |
      | multichannel  | an NFFT selection of 2048              |
      | multichannel  | a frequency range up to the highest allowed frequency |
      | multichannel  | the view type given as a number        |
      | singlechannel | an NFFT selection of 65536             |
