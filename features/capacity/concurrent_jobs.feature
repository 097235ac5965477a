@issue:17 @load @serial @exclusive
Feature: Concurrent live jobs
  Focus Server must carry at least 40 live jobs at once, and 50 is the target (the user interface
  opens up to 30 windows). The product team checks this in graduated steps of 10, 20, 30, 40 and 50
  jobs: at every step at least 95 % of the configuration requests must be accepted and their jobs
  ready within the job start timeout. Earlier builds failed around 40 jobs, four in five requests
  refused, and some even at 5 to 10 simultaneous creations.

  Jobs are configured at the pace Focus Server allows: the client waits as each "too many requests"
  answer tells it and never sends a configuration twice. Each job is watched as a client window
  watches it, so it stays live while the others start, and every job is cancelled at the end. A step
  larger than the capacity the environment declares is skipped with that reason. The figures of every
  step (accepted, ready, time to ready) are attached as a table and a chart.

  Background:
    Given Focus Server is receiving fibre data

  @requires_cluster @requires_rabbitmq_management
  Scenario Outline: <jobs> live jobs at once
    Given the environment declares room for <jobs> concurrent jobs
    When I configure <jobs> live jobs at the pace Focus Server allows and watch each of them
    Then at least 95 % of them are accepted and ready within the job start timeout
    And each ready job streams on its own port
    When I cancel all of them
    Then every resource of all of them is gone within the cleanup timeout

    @critical @rule:capacity.required
    Examples: steps up to the required 40 jobs
      | jobs |
      | 10   |
      | 20   |
      | 30   |
      | 40   |

    @normal @rule:capacity.target
    Examples: the 50-job target
      | jobs |
      | 50   |
