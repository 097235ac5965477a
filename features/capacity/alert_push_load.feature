@issue:17 @load @serial @exclusive
Feature: Alert pushes under sustained load
  The Prisma Web App was seen refusing alert pushes as "too many requests" under about 10 alerts a
  second. Refusing is allowed; losing or doubling an alert is not. Under a sustained rate every push
  is either accepted and reported exactly once per alert id, or refused with a Retry-After saying
  when to try again and never reported. The pushes run for a bounded time, each carries its own
  alert id, and every alert pushed is deleted afterwards.

  Background:
    Given alert reports published by the Web App are being watched

  @critical @rule:capacity.alert-push-under-load @requires_web_app @requires_rabbitmq
  Scenario: Ten alerts a second for five seconds lose nothing and double nothing
    When a signed-in operator pushes 10 alerts a second for 5 seconds, each with its own alert id
    Then every push is either accepted or refused as too many requests
    And every refused push says after how many seconds to retry
    And every accepted alert is reported exactly once
    And no refused alert is reported
