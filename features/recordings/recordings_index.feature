@requires_mongodb
Feature: Recordings index in MongoDB
  Focus Server finds historic data through an index of recordings kept in MongoDB. Each storage root
  listed in "base_paths" names the collection that holds its recordings; folders the indexer could
  not parse are kept in a separate collection and are not recordings. Every recording has a start
  time, and the recordings collection carries the indexes that historic queries rely on.

  Background:
    Given the recordings collection of the live storage root, found through its base path

  @critical @rule:recordings.collection @issue:seed-2.1
  Scenario: The recordings collection named by the base path exists and holds recordings
    Then the recordings collection exists and is not empty
    And the recordings collection is not the collection of unrecognized folders

  @critical @rule:recordings.schema @issue:seed-2.1
  Scenario: Every recording has a start time
    Then every recording has a unique id and a start time

  @normal @rule:recordings.schema @issue:seed-2.1
  Scenario: Folders the indexer could not parse are not counted as recordings
    Then no folder the indexer could not parse appears among the recordings

  @critical @issue:seed-2.2
  Scenario Outline: The recordings collection is indexed on "<key>"
    Then the recordings collection has an index on "<key>"

    @rule:recordings.indexes
    Examples: Indexes historic queries rely on
      | key        |
      | start_time |
      | end_time   |
      | uuid       |

    @rule:recordings.deleted-index
    Examples: Indexes recommended for deleted recordings
      | key     |
      | deleted |

  @critical @rule:recordings.indexes @issue:seed-2.2
  Scenario: No two recordings can share an id
    Then the recordings collection's index on "uuid" enforces unique values
