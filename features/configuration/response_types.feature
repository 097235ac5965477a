@area:configuration @issue:seed-1.2
Feature: Field types of a configuration response
  Clients read a configuration response (and a job's metadata, which repeats it) by the types the
  contract names: the view type is echoed as the text digit of the request ("0", "1" or "2") and the
  stream port is a number. The deployed server was seen sending the view type as a number and the
  port as text; whether clients must accept both is an open question.

  Background:
    Given Focus Server is receiving fibre data

  @normal @needs_verification @requires_cluster
  Scenario: A configuration response gives the view type as text and the stream port as a number
    When I configure a multichannel view of channels 1 to 50
    Then the configuration is accepted
    And the response gives the view type as text and the stream port as a number

  @normal @needs_verification @requires_cluster
  Scenario: A job's metadata gives the view type as text and the stream port as a number
    Given a multichannel job of channels 1 to 50 is running
    When I read the job's metadata
    Then the response gives the view type as text and the stream port as a number
