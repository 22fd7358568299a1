"""Real time over Socket.IO: room names, the publish adapter services call, event handlers."""
