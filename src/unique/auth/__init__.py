"""The key's path: from the ``Authorization`` header to a verdict with a reason.

``verify`` reads top to bottom in the order a request meets the checks:

1. **Bearer parsing**: no header, another scheme or an empty credential is ``missing``.
2. **Format and checksum** (``unique.keys``): a string that cannot be a key is ``malformed``,
   turned away before storage is touched, so garbage and typos cost microseconds.
3. **Lookup**: the SHA-256 of the key, one indexed read outside any transaction
   (``unique.db.reads``); no row is ``unknown``.
4. **Status**: a revoked key is ``revoked``, an expired one ``expired``. There is no cache: a
   revocation committed on any node is seen by the very next request on every node.
5. **Throttling**: a failure from an address past its allowance of failures, or a valid key past
   its account's budget, is ``throttled``.
6. **Last use**: a valid key's use is noted in memory and written coalesced (``unique.last_use``).

Every outcome is one ``Reason``; metrics count requests by it, and the API turns it into an answer
(``unique.api.authenticated``). Nothing here knows HTTP.
"""
