"""Email addresses and account recovery (API.md "Email and account recovery"):

- tokens: single-use verification and reset tokens, kept as keyed hashes;
- addresses: giving, changing and verifying an address, and who is told;
- recovery: password reset requests and confirmations;
- schemas: the request bodies of those endpoints.
"""
