print("skoop")
