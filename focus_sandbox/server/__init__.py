"""The sandbox Focus Server (under /focus-server) and Prisma Web App (under /prisma/api)."""
