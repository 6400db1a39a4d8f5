class GpsDao:
    def positions(self) -> list[dict]:
        return []
