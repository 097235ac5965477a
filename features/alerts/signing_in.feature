Feature: Signing in to the Prisma Web App
  Operators sign in with a user name and a password; the Web App answers "created" and hands back an
  access-token cookie that every later call presents. A wrong password or an unknown user gets no
  session. (What a push or a deletion without a valid token gets is in "Alert push validation" and
  "Deleting alerts".)

  @critical @rule:alerts.authentication @requires_web_app
  Scenario: Signing in with the environment's user hands back an access token
    When I sign in to the Prisma Web App as the environment's user
    Then the Web App answers that a session was created, with an access-token cookie

  @normal @rule:alerts.cookie-http-only @requires_web_app
  Scenario: The access token is kept out of reach of the page's scripts
    When I sign in to the Prisma Web App as the environment's user
    Then the access-token cookie is marked HttpOnly

  @critical @requires_web_app
  Scenario Outline: Signing in <attempt> is refused and hands back no access token
    When I sign in to the Prisma Web App <attempt>
    Then the sign-in is refused as unauthenticated, with no access-token cookie

    @rule:alerts.sign-in
    Examples:
      | attempt                              |
      | with a wrong password                |
      | as a user the Web App does not know  |
      | without a password                   |
