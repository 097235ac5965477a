"""A local reference implementation of Focus Server and the Prisma Web App on real infrastructure."""
