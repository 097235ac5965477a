Feature: Job lifecycle
  Every accepted configuration starts a streaming job on the cluster: a streaming pod, a janitor, a
  service and a message queue. The job is ready when its metadata answers; its metadata repeats what
  the configuration response said. A job nobody watches is removed as a whole after the idle
  timeout, and from then on its metadata is no longer available. Job ids are never reused.

  Background:
    Given Focus Server is receiving fibre data

  @blocker @rule:job.ready @requires_cluster @requires_rabbitmq
  Scenario Outline: A configured <view> job becomes ready with all its resources
    When I configure a <view> view
    Then the configuration is accepted
    And every resource of the job exists within the job start timeout
    And the job's metadata becomes available

    Examples:
      | view          |
      | multichannel  |
      | singlechannel |
      | waterfall     |

  @critical @rule:job.ready-when-metadata-answers @requires_cluster
  Scenario Outline: A <view> job's stream takes connections as soon as its metadata answers
    Given a <view> job whose metadata has just answered
    Then the job's stream address takes a connection at once

    Examples:
      | view          |
      | multichannel  |
      | singlechannel |
      | waterfall     |

  @critical @rule:job.metadata-repeats-response @requires_cluster
  Scenario Outline: A <view> job's metadata repeats its configuration response
    Given a <view> job is running
    When I read the job's metadata
    Then the metadata describes the same job as the configuration response

    Examples:
      | view          |
      | multichannel  |
      | singlechannel |
      | waterfall     |

  @critical @rule:job.metadata-repeats-response @requires_cluster
  Scenario Outline: A streaming <view> job's metadata still repeats its configuration response
    Given a <view> job is running
    And I watched the job's first stream for a few rows
    When I read the job's metadata
    Then the metadata describes the same job as the configuration response

    Examples:
      | view          |
      | multichannel  |
      | waterfall     |

  @critical @rule:job.idle-timeout @issue:26 @requires_cluster @requires_rabbitmq
  Scenario Outline: A <view> job nobody watches is removed after the idle timeout
    Given a <view> job is running
    When nobody watches the job for longer than the idle timeout
    Then every resource of the job is gone within the cleanup timeout
    And the job's metadata is no longer available

    Examples:
      | view          |
      | multichannel  |
      | singlechannel |
      | waterfall     |

  @normal @rule:job.unknown-id
  Scenario: Metadata of a job that never existed is refused
    When I read the metadata of a job that never existed
    Then Focus Server says the job id is invalid

  @normal @rule:job.malformed-id
  Scenario Outline: Metadata of an id that is not a job id (<kind>) is refused
    When I read the metadata of the job id "<job id>"
    Then Focus Server refuses the job id as malformed or unknown

    Examples:
      | kind                       | job id    |
      | words                      | not-a-job |
      | one number without a dash  | 42        |

  @normal @rule:job.id-never-reused @requires_cluster
  Scenario: A new job never reuses the id of an earlier one
    Given a multichannel job of channels 1 to 50 was started and has ended
    When I configure a multichannel view of channels 51 to 100
    Then the configuration is accepted
    And the new job's id comes after the id of the job that ended
