// RL
