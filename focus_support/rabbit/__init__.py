"""RabbitMQ: resilient connections, confirmed publishing, consuming, and the management API."""
from .connection import CONNECTION_LOST, ResilientConnection, connection_parameters
from .management import QueueInfo, RabbitManagement
from .messaging import ALERT_BINDING, PRISMA_EXCHANGE, Consumer, Message, Publisher, listen_to_prisma


def amqp_queue_exists(url: str, name: str) -> bool:
    """True when a passive declare of the queue succeeds (AMQP route, no management plugin needed)."""
    import pika
    from pika.exceptions import ChannelClosedByBroker

    connection = pika.BlockingConnection(connection_parameters(url))
    try:
        connection.channel().queue_declare(queue=name, passive=True)
        return True
    except ChannelClosedByBroker as exc:
        if exc.reply_code == 404:
            return False
        if exc.reply_code == 405:  # RESOURCE_LOCKED: exists, exclusive to another connection
            return True
        raise
    finally:
        if connection.is_open:
            connection.close()


__all__ = ["ALERT_BINDING", "CONNECTION_LOST", "Consumer", "Message", "PRISMA_EXCHANGE", "Publisher", "QueueInfo",
           "RabbitManagement", "ResilientConnection", "amqp_queue_exists", "connection_parameters",
           "listen_to_prisma"]
