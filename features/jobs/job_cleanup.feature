@issue:26
Feature: Job cleanup
  A job owns a streaming pod, a janitor, a service and a message queue. When a client cancels the job,
  or the streaming pod fails, every one of these must be gone within the cleanup timeout, and the
  job's metadata must no longer answer. Issue #26: on staging, jobs and their queues stayed behind
  after cancellations and failures and had to be force-deleted (25 in one run).

  Background:
    Given Focus Server is receiving fibre data

  @blocker @rule:job.cancel @requires_cluster @requires_rabbitmq
  Scenario Outline: Cancelling a <view> job removes every resource it owns
    Given a <view> job is running
    When I cancel the job
    Then Focus Server confirms the job is cancelled
    And every resource of the job is gone within the cleanup timeout
    And the job's metadata is no longer available

    Examples:
      | view          |
      | multichannel  |
      | singlechannel |
      | waterfall     |

  @critical @rule:job.crash-cleanup @destructive @requires_cluster @requires_rabbitmq
  Scenario Outline: A <view> job whose streaming pod crashes is cleaned up
    Given a <view> job is running
    When the job's streaming pod crashes
    Then every resource of the job is gone within the cleanup timeout
    And the job's metadata is no longer available

    Examples:
      | view          |
      | multichannel  |
      | singlechannel |
      | waterfall     |

  @normal @rule:job.cancel @requires_cluster
  Scenario: Cancelling a job that never existed is refused
    When I cancel a job that never existed
    Then Focus Server says the job id is invalid

  @critical @rule:job.cancel @requires_cluster @requires_rabbitmq
  Scenario: A burst of jobs that are all cancelled leaves nothing behind
    When I start 4 multichannel jobs one after another and cancel each of them
    Then no resource of any of those jobs remains after the cleanup timeout
