"""Input serializers every app's API uses."""

from rest_framework import serializers

# The largest value a PostgreSQL integer column holds: input beyond it is a 400, not a 500.
INT_MAX = 2**31 - 1


class StrictSerializer(serializers.Serializer):
    """Input serializer that refuses fields it does not know, so a typo is an error."""

    def validate(self, attrs):
        if hasattr(self, "initial_data") and hasattr(self.initial_data, "keys"):
            unknown = set(self.initial_data.keys()) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in sorted(unknown)}
                )
        return super().validate(attrs)
