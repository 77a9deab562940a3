"""`queuetui serve`: the console in a browser tab, through textual-serve, behind a token.

gate.py knows who may come in (tokens, cookies), server.py is the web server (textual-serve's, with the
gate, the Origin check, the session cap and the idle timeout), session.py is the console process the
server starts for each browser session. Nothing is imported here: a session process loads no aiohttp.
"""
