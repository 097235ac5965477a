@issue:seed-2.5
Feature: Region of interest and data size
  The region of interest (ROI) is the channel range of a view; changing it means configuring a new
  view. A different ROI changes how many channels a row carries and how they are spread over streams,
  but nothing about the frequency axis, the time between rows or the view type. A spectrogram row is
  therefore as large as its channel count times its frequency bins times four bytes (float32), so
  different ROIs give different data sizes in the channel dimension only. Row sizes are measured on
  the job's streams, not computed from the configuration response.

  Background:
    Given Focus Server is receiving fibre data

  @critical @rule:roi.channel-dimension-only @requires_cluster
  Scenario: Changing only the region of interest changes only the channel dimension
    Given I configured a multichannel view of channels 1 to 50
    When I configure the same view for channels 101 to 400
    Then the configuration is accepted
    And the two jobs differ in channel count, stream count and channel mapping as their ranges require
    And the two jobs have the same frequency axis, time between rows and view type

  @normal @rule:roi.row-size
  Scenario Outline: A streamed row of channels <first> to <last> at an NFFT selection of <nfft> is channels × bins × 4 bytes
    When I configure a multichannel view of channels <first> to <last> with an NFFT selection of <nfft> over 0 to 500 Hz
    And I watch every stream of the job for a few rows
    Then a row of the job's streams measures channel count × frequency bins × 4 bytes

    Examples:
      | first | last | nfft |
      | 1     | 50   | 256  |
      | 1     | 300  | 256  |
      | 1     | 50   | 1024 |
