from app.core.dao import GpsDao

GPSDAO = GpsDao


def __getattr__(name: str) -> type:
    if name == "LegacyDao":
        return GpsDao
    raise AttributeError(name)
