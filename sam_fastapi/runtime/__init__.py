"""What Lambda's Python runtime does, apart from any gateway: the context object, importing and
calling a handler, marshalling its result (``handler``), a Web Adapter function's app started
and called as the Adapter does (``webadapter``), and the sandbox process that runs one
function instance alone (``worker``). Importing it imports nothing of the gateway, so a sandbox
starts in the time Python and the function's own imports take.
"""
