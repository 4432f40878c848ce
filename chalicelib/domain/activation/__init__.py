"""Activation: our request to the city network to switch an ordered service on
(docs/architecture.md, "Activation").

- `states`: the activation state machine, as a transition table;
- `messages`: what the activation queue carries;
- `replies`: what a city network's answer makes of an activation;
- `events`: the audit-trail and outbox entries an activation writes;
- `recording`: the one conditional write of an activation result, for every path;
- `customer`: the first attempt, made while the customer waits;
- `worker`: one queued step (retries and provider-triggered attempts);
- `provider`: the provider asking for activation again.

Nothing is imported here, so importing one module does not load the others.
"""
