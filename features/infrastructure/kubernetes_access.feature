@area:infrastructure @issue:seed-1.1 @requires_cluster
Feature: Reaching the Kubernetes cluster
  The suite inspects the product's jobs and components on Kubernetes. Where the cluster's API is
  reachable it is used directly; where it is not, the suite runs kubectl on a cluster node over SSH.
  Both routes must work and must show the same cluster.

  @critical
  Scenario: The cluster is reachable through its API
    When I list the product's deployments through the cluster API
    Then the Focus Server deployment is among them

  @critical @requires_ssh
  Scenario: The cluster is reachable through the SSH route
    When I list the product's deployments through the SSH route
    Then the Focus Server deployment is among them

  @normal @requires_ssh
  Scenario: Both routes see the same jobs
    Given Focus Server is receiving fibre data
    And a live job I started is running
    When I list the product's jobs through the cluster API and through the SSH route
    Then both routes list the same jobs, including the streaming job of mine
