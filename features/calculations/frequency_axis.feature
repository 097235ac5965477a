@area:calculations @issue:seed-2.4
Feature: Frequency axis and time between rows
  A spectrogram row holds one value per frequency bin. The bins are spaced by the fibre's pulse
  repetition rate divided by the NFFT selection, and a row carries only the bins inside the requested
  band. Rows follow each other at the time-axis duration divided by the canvas height. Every expected
  value here is computed from the pulse repetition rate that Focus Server reports live, never from an
  assumed rate: the seed's "3.891 Hz instead of 1.953 Hz" came from assuming 1000 Hz and a full band.

  Background:
    Given Focus Server is receiving fibre data

  @critical @requires_cluster
  Scenario Outline: The frequency resolution is the live pulse rate divided by an NFFT selection of <nfft>
    When I configure a <view> view with an NFFT selection of <nfft> over <low> to <high> Hz
    Then the configuration is accepted
    And the job's frequency bins are spaced by the live pulse rate divided by <nfft>
    And the job's frequency bin count matches its list of frequencies

    Examples:
      | view          | nfft | low | high |
      | multichannel  | 2048 | 100 | 400  |
      | singlechannel | 1024 | 0   | 1000 |

  @critical @needs_verification @requires_cluster
  Scenario Outline: A <view> view over <low> to <high> Hz carries exactly the FFT bins inside that band
    When I configure a <view> view with an NFFT selection of <nfft> over <low> to <high> Hz
    Then the configuration is accepted
    And the job's frequencies are exactly the FFT bins of the live pulse rate between <low> and <high> Hz

    Examples:
      | view          | nfft | low | high |
      | multichannel  | 256  | 0   | 500  |
      | singlechannel | 512  | 100 | 400  |

  @critical @requires_cluster
  Scenario Outline: Rows of a <duration> s axis on a <height>-row canvas follow each other at duration / height
    When I configure a multichannel view showing <duration> s on a canvas <height> rows high
    Then the configuration is accepted
    And the job's time between rows is the time-axis duration divided by the canvas height

    Examples:
      | duration | height |
      | 30       | 768    |
      | 10       | 1000   |

  @normal @requires_cluster
  Scenario: A waterfall view has no frequency axis
    When I configure a waterfall view of channels 1 to 50
    Then the configuration is accepted
    And the job has no frequency bins

  @minor @needs_verification @requires_cluster
  Scenario: Waterfall rows follow each other at one pulse period
    When I configure a waterfall view of channels 1 to 50
    Then the configuration is accepted
    And the job's time between rows is one period of the live pulse rate
