@issue:seed-1.2
Feature: Field types of a configuration response
  Clients read a configuration response, and a job's metadata that repeats it, by the types of its
  fields. Our reading of the contract is that the view type is echoed as the text digit the request
  sent ("0", "1" or "2") and that the stream port is a number. The deployed server was recorded
  sending the view type as a number and the port as text; which of the two clients must expect is an
  open question, so a difference here is reported for verification, not as a new bug.

  Background:
    Given Focus Server is receiving fibre data

  @normal @rule:response.view-type-echo @requires_cluster
  Scenario Outline: The <answer> echoes the view type as the text digit of the request
    When I read the <answer> of a multichannel view of channels 1 to 50
    Then the answer gives the view type as the text digit the request sent

    Examples:
      | answer                 |
      | configuration response |
      | job's metadata         |

  @normal @rule:response.stream-port-type @requires_cluster
  Scenario Outline: The <answer> gives the stream port as a number
    When I read the <answer> of a multichannel view of channels 1 to 50
    Then the answer gives the stream port as a number

    Examples:
      | answer                 |
      | configuration response |
      | job's metadata         |
