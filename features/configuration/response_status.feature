@defect:status_empty
Feature: Outcome reported by a configuration response
  A configuration response tells the client whether its request succeeded, and a job's metadata
  repeats that response. The contract asks for the status "success"; the deployed server was seen
  answering an empty status, and whether an empty status is acceptable is still an open question.

  Background:
    Given Focus Server is receiving fibre data

  @normal @rule:response.status @requires_cluster
  Scenario: An accepted configuration reports success
    When I configure a multichannel view of channels 1 to 50
    Then the configuration is accepted
    And the response reports the status "success"

  @normal @rule:response.status @requires_cluster
  Scenario: A running job's metadata reports success
    Given a multichannel job of channels 1 to 50 is running
    When I read the job's metadata
    Then the response reports the status "success"
