@issue:seed-1.5 @destructive @exclusive @serial @requires_rabbitmq @requires_cluster
Feature: Surviving a RabbitMQ connection reset or restart
  Jobs and alerts travel through the RabbitMQ broker. A dropped connection or a restarted broker
  must not take the product down: clients reconnect on their own, a message the broker confirmed is
  never lost, and Focus Server and the Web App serve again without being restarted themselves.

  @blocker @rule:resilience.broker-outage @requires_web_app
  Scenario: Focus Server and the Web App serve again after their connections are reset
    Given Focus Server is receiving fibre data
    And alert reports published by the Web App are being watched
    When the broker drops every client connection
    Then Focus Server starts a live job again
    And an alert pushed to the Web App is reported again

  @blocker @rule:resilience.broker-outage @requires_web_app
  Scenario: Focus Server and the Web App serve again after a broker restart
    Given Focus Server is receiving fibre data
    When the message broker restarts
    Then Focus Server starts a live job again
    And an alert pushed to the Web App is reported again
