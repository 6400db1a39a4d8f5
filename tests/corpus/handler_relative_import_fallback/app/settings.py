TITLE = "Items"
