"""Platform adapters: each holds a SupportBot and translates to and from its platform."""
