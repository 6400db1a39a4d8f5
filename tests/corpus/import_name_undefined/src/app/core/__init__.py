import os

from app.core.dao import GpsDao

if os.environ.get("GPS_LEGACY"):
    LegacyDao = GpsDao
else:
    class LegacyDao(GpsDao):
        pass
