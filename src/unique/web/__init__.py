"""What the API and the Console share on the web side.

The error shape (``errors``), the limits on a request body (``body_limits``), the request id and
the access log (``request_context``), the process's runtime, a database session and the client's
address for one request (``requests``), and the way timestamps and integers are written
(``formats``). Neither the API nor the Console imports the other; both import this.
"""
