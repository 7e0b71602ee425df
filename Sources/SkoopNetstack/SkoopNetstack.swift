import SkoopModel
