FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY bin ./bin
COPY src ./src
COPY deploy ./deploy
ENTRYPOINT ["node", "--max-semi-space-size=64", "bin/roomgate.js"]
# ROOMGATE_CONFIG names the config file; the command is start, edge, worker or demo-network
CMD ["start"]
