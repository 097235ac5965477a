@destructive @exclusive @serial @requires_mongodb @requires_cluster
Feature: Serving through a MongoDB outage
  Historic views depend on the recordings index in MongoDB; live views do not. While MongoDB is
  down, Focus Server refuses historic requests quickly as "service unavailable" without starting
  anything, keeps serving live views, and serves historic views again as soon as MongoDB is back.

  Background:
    Given Focus Server is receiving fibre data
    And a past time window that holds recordings

  @critical @rule:resilience.mongodb-outage
  Scenario: A historic request during a MongoDB outage is refused promptly and starts nothing
    Given MongoDB is down
    When I request a historic view of that window
    Then the request is refused as service unavailable within 5 seconds
    And no job was started for the refused request

  @critical @rule:resilience.mongodb-outage
  Scenario: Live views keep working during a MongoDB outage
    Given MongoDB is down
    When I request a live view
    Then the view is accepted and its job starts

  @critical @rule:resilience.mongodb-outage
  Scenario: Historic views work again once MongoDB is back
    Given MongoDB was down and has come back
    When I request a historic view of that window
    Then the view is accepted and its job starts
