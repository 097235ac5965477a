Feature: Watching keeps a job alive
  A job lives as long as somebody watches its stream. Once nobody has watched it for the idle
  timeout, the job ends and its metadata is no longer available.

  Background:
    Given Focus Server is receiving fibre data

  @critical @rule:stream.watched-job-lives @requires_cluster
  Scenario: A watched job outlives the idle timeout
    Given a live multichannel job of channels 1 to 50 is running
    When I watch the job's first stream for longer than the idle timeout
    Then frames kept arriving the whole time
    And the job is still running

  @critical @rule:stream.ends-after-watcher-leaves @requires_cluster
  Scenario: A job ends once its last watcher has been gone for the idle timeout
    Given a live multichannel job of channels 1 to 50 is running
    And I watched the job's first stream for a few rows
    When I stop watching the job
    And nobody watches the job for longer than the idle timeout
    Then the job's metadata is no longer available
