"""Services the apps share: publishing an event (events), and saving a model's editable changes (changes)."""
